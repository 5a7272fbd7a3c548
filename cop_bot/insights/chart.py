"""The `/insights chart` PNG: weekly questions asked and answered, and weekly active members.

matplotlib is imported here, inside the function, with the Agg backend (no display), so the bot
starts and answers other commands without loading it. Axis labels are the reader's language;
the chart holds counts only.
"""

from __future__ import annotations

import io

from cop_bot.core.i18n import _
from cop_bot.insights.counts import Insights


def weekly_png(found: Insights) -> bytes:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    weeks = [w for w, _a, _b in found.weekly_asked]
    labels = [w.strftime("%d.%m") for w in weeks]
    asked = [a for _w, a, _b in found.weekly_asked]
    answered = [b for _w, _a, b in found.weekly_asked]
    active = [n for _w, n in found.weekly_active]
    figure = Figure(figsize=(8, 4.5), dpi=100)
    top, bottom = figure.subplots(2, 1, sharex=True)
    xs = list(range(len(weeks)))
    top.bar([x - 0.2 for x in xs], asked, width=0.4, label=_("Questions asked"))
    top.bar([x + 0.2 for x in xs], answered, width=0.4, label=_("Questions answered"))
    top.legend(loc="upper left", fontsize="small")
    bottom.plot(xs, active, marker="o", label=_("Active members a week"))
    bottom.legend(loc="upper left", fontsize="small")
    # a label every few weeks (about 13 at most): a year's 53 rotated labels were unreadable,
    # and laying them out was most of the render time
    every = max(1, -(-len(xs) // 13))
    bottom.set_xticks(xs[::every], labels[::every], rotation=45, fontsize="small")
    for axes in (top, bottom):
        axes.yaxis.get_major_locator().set_params(integer=True)
    # fixed margins: tight_layout() drew the figure twice to measure it
    figure.subplots_adjust(left=0.09, right=0.98, top=0.97, bottom=0.14, hspace=0.08)
    out = io.BytesIO()
    figure.savefig(out, format="png")
    return out.getvalue()
