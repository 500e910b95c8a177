"""The actors of the marketplace, one module each: counterfeiters, legit sellers, rights
holders, account managers and the platform."""
