"""Reports: formatting KPI results for people (terminal tables, the monthly report)."""
