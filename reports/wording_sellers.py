"""Labels and phrases of the sellers' Art. 23 misuse-policy metrics, as rows (metric,
label, up, down) that ``reports.wording_table`` turns into its entries."""

from __future__ import annotations

SELLER_WORDING: tuple[tuple[str, str, str, str], ...] = (
    (
        "seller_warnings",
        "Art. 23 warnings to counterfeit accounts",
        "warns {v} more counterfeit accounts",
        "warns {v} fewer counterfeit accounts",
    ),
    (
        "sellers_suspended",
        "counterfeit accounts suspended (Art. 23)",
        "suspends {v} more counterfeit accounts",
        "suspends {v} fewer counterfeit accounts",
    ),
    (
        "seller_suspension_days",
        "suspension-days served by counterfeit accounts",
        "keeps counterfeit accounts suspended {v} days longer in all",
        "keeps counterfeit accounts suspended {v} days less in all",
    ),
    (
        "legit_seller_warnings",
        "Art. 23 warnings to honest sellers",
        "warns {v} more honest sellers",
        "warns {v} fewer honest sellers",
    ),
    (
        "legit_sellers_suspended",
        "honest sellers suspended (Art. 23)",
        "suspends {v} more honest sellers",
        "suspends {v} fewer honest sellers",
    ),
    (
        "legit_seller_suspension_days",
        "suspension-days served by honest sellers",
        "keeps honest sellers suspended {v} days longer in all",
        "keeps honest sellers suspended {v} days less in all",
    ),
)
