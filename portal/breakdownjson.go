package portal

import (
	"bytes"
	"encoding/json"
)

// encodeJSON is v as the API writes it (HTML escaped, a final newline), in a slice of its
// own length (an encoder's buffer is up to twice as long; answers are kept).
func encodeJSON(v any) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(true)
	_ = enc.Encode(v)
	return bytes.Clone(buf.Bytes())
}
