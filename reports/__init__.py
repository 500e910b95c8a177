"""Reports: render run, compare and sweep folders into report.html, summary.md and PNGs."""
