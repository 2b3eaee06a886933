"""How a page becomes text: decoding, extraction, boilerplate rules, dates, language."""
