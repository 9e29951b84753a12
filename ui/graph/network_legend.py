"""The network view's colours and its legend in words."""
from __future__ import annotations

import html

from PySide6.QtGui import QColor

from workbench.present.palette import ROLE_COLOURS
from workbench.trace.network import ProviderNetwork

REPEAT = QColor("#d62728")
#: Campaign colours: Okabe-Ito (told apart with common colour-vision deficiencies), then two
#: Tableau hues; campaigns past these share OTHER and the legend says so.
CAMPAIGN_COLOURS = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00",
                    "#F0E442", "#8C564B", "#17BECF"]
OTHER = QColor("#9a9a9a")  # campaigns past the palette
NO_CAMPAIGN = QColor("#d4d4d4")  # providers only the CDRs show
LEGEND_CAMPAIGNS = len(CAMPAIGN_COLOURS)


def campaign_colour(j: int) -> QColor:
    """The colour of campaign ``j`` (campaigns are ordered largest first)."""
    return QColor(CAMPAIGN_COLOURS[j]) if 0 <= j < len(CAMPAIGN_COLOURS) else QColor(OTHER)


def legend(net: ProviderNetwork, by_campaign: bool, choke: bool, n_choke: int,
           red_from: int = 2) -> str:
    """What the marks of the drawing mean, and how many of each there are."""
    n_rep = int(net.repeat_upstream.sum())
    counts = ((f"{net.campaign}: " if net.campaign else "")
              + f"{len(net.names)} providers, {len(net.edges)} hand-offs"
              + (f", {n_rep} repeat upstream(s)" if n_rep else "")
              + (f", {n_choke} choke point(s)" if choke else ""))
    parts = [f"<b>{html.escape(counts)}</b>",
             "node size: tracebacks/traces the provider appears in",
             "edge width: calls across the hand-off (CDRs)",
             "names: the most important at this zoom (zoom in for more)"]
    if not by_campaign:
        parts.append(f"<span style='color:{REPEAT.name()}'>red ring</span>: repeat upstream "
                     "(named in ≥2 tracebacks); "
                     f"<span style='color:{REPEAT.name()}'>red edge</span>: its hand-off, "
                     + ("in ≥2 tracebacks" if red_from <= 2 else
                        f"the busiest (in ≥{red_from} tracebacks)"))
    else:
        parts.append(f"<span style='color:{REPEAT.name()}'>red ring</span>: repeat upstream")
    parts.append("<b>solid ink edges</b>: the current trace")
    parts.append("<b>+k</b>: neighbours hidden by the filters")
    if choke:
        parts.append("<b>◯ thick ring, bold name, \"choke n/N\"</b>: choke point, n of a "
                     "campaign's N chains pass it upstream of the terminating provider "
                     "(n ≥ N/2, n ≥ 2)")
    if by_campaign:
        shown = [j for j in range(len(net.campaigns)) if net.campaign_sizes[j]
                 and (net.campaign is None or net.campaigns[j] == net.campaign)]
        keys = [f"<span style='color:{campaign_colour(j).name()}'>■</span> "
                f"{html.escape(net.campaigns[j])} ({int(net.campaign_sizes[j])})"
                for j in shown[:LEGEND_CAMPAIGNS]]
        if len(shown) > LEGEND_CAMPAIGNS:
            keys.append(f"<span style='color:{OTHER.name()}'>■</span> "
                        f"{len(shown) - LEGEND_CAMPAIGNS} more campaign(s)")
        keys.append(f"<span style='color:{NO_CAMPAIGN.name()}'>●</span> in no campaign")
        return ("<small>" + " &nbsp; ".join(parts) + "<br><b>Campaigns</b> (chains): "
                + " &nbsp; ".join(keys) + "</small>")
    parts += [f"<span style='color:{ROLE_COLOURS['transit']}'>●</span> CDRs in case",
              f"<span style='color:{ROLE_COLOURS['no_records']}'>●</span> no CDRs",
              f"<span style='color:{ROLE_COLOURS['foreign']}'>●</span> foreign"]
    return "<small>" + " &nbsp; ".join(parts) + "</small>"
