"""The reach report of an organisation and of the whole network: per month and service
category, enrolments, confirmed, attended, waiting list, no-show rate and the target group
reached; with a chart, and as CSV and XLSX."""
