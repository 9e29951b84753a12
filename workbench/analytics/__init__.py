"""Beyond one chain: provider dossiers, suspicious traffic per ingress, campaigns, SHAKEN path
checks and the Robocall Mitigation Database, computed over the case's records and traces."""
