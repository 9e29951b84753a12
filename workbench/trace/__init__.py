"""The trace engine: matching one call in a store, following it hop by hop, clock skew, the provider network."""
