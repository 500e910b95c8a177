"""The metrics of counterfeiters that respond (books, entry and exit, concentration,
learning, where they post), as rows of ``sim.contract.Metric`` (name, unit, higher is
better, definition); computed in ``sim.response``."""

from __future__ import annotations

_LOWER, _NEITHER = False, None

RESPONSE_METRICS: tuple[tuple[str, str, bool | None, str], ...] = (
    (
        "counterfeiter_profit_usd",
        "USD",
        _LOWER,
        "Every counterfeit operator's income less costs booked on the days after the warm-up "
        "(counterfeiters.economics.on; NaN when off): income is each fake's expected takings "
        "while on show (its sales rate times its price paid: the mean of what "
        "fake_sales_value draws), booked daily and at removal; costs "
        "are account set-up (per account opened) and stock plus listing fee (per fake "
        "posted, caught at upload or not).",
    ),
    (
        "counterfeiter_entries",
        "count",
        _LOWER,
        "New counterfeit operators that opened an account (passed verification) in the "
        "window; banned operators coming back under a new account are not counted.",
    ),
    (
        "counterfeiter_exits",
        "count",
        _NEITHER,
        "Counterfeit operators that left the market for good in the window: after a ban "
        "(chose not to come back, or failed verification with the new account), or with "
        "trailing profit below the exit bar for long enough (counterfeiters.entry_exit).",
    ),
    (
        "operators_top3pct_share",
        "share",
        _NEITHER,
        "Share of the fakes posted in the window that the top 3% of operators by fakes "
        "posted posted (ceil of 3% of the operators that posted any in the window, at least "
        "one); an operator is one owner, across the accounts it opens after bans.",
    ),
    (
        "mean_obfuscation_end",
        "share",
        _NEITHER,
        "Mean over the counterfeit operators with an open account at the horizon of the share "
        "of their new fakes that would be obfuscated (counterfeiters.obfuscation_share "
        "for all unless counterfeiters.adaptation is on).",
    ),
    (
        "fake_listings_created_standard",
        "count",
        _NEITHER,
        "Fake listings posted in the window (as fake_listings_created) to brands in the "
        "standard programme.",
    ),
    (
        "fake_listings_created_good_faith",
        "count",
        _NEITHER,
        "Fake listings posted in the window (as fake_listings_created) to brands in the "
        "good_faith programme.",
    ),
    (
        "fake_listings_created_joint_force",
        "count",
        _NEITHER,
        "Fake listings posted in the window (as fake_listings_created) to brands in the "
        "joint_force programme.",
    ),
    (
        "fake_listings_created_project_zero",
        "count",
        _NEITHER,
        "Fake listings posted in the window (as fake_listings_created) to brands in the "
        "project_zero programme.",
    ),
    (
        "fake_listings_created_trusted_flagger",
        "count",
        _NEITHER,
        "Fake listings posted in the window (as fake_listings_created) to brands in the "
        "trusted_flagger programme.",
    ),
    (
        "displaced_to_outside",
        "count",
        _NEITHER,
        "Fakes counterfeiters posted to the outside, unprotected market in the window instead "
        "of the platform (counterfeiters.choice with outside_weight > 0); not part of "
        "fake_listings_created.",
    ),
)
