"""Analysis of runs: paired comparison, levers, regression against baselines, market gaps, funnel sums."""
