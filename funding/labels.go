package funding

import "cloudbill/glossary"

// Label is the Chinese word of key (a budget state, a threshold, a figure of the year's
// money), from the one glossary (glossary.Funding); a key without an entry is itself.
func Label(key string) string { return glossary.Funding(key) }
