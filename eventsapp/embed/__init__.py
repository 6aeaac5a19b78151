"""The calendar inside another site's page: /embed and /embed/events/<id> for an <iframe>, and
the organisers' snippet builder at /manage/embed."""
