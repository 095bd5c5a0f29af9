package portal

import (
	"bytes"
	"encoding/json"
	"sync"
)

// encodeBufs are the buffers answers are encoded in (an answer is copied out of its
// buffer at its own length): a large department's breakdown is over a megabyte, and a
// buffer grown anew for each costs as much as the encoding.
var encodeBufs = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// encodeJSON is v as the API writes it (HTML escaped, a final newline), in a slice of its
// own length (answers are kept).
func encodeJSON(v any) []byte {
	buf := encodeBufs.Get().(*bytes.Buffer)
	defer encodeBufs.Put(buf)
	buf.Reset()
	enc := json.NewEncoder(buf)
	enc.SetEscapeHTML(true)
	_ = enc.Encode(v)
	return bytes.Clone(buf.Bytes())
}
