package calendar

// Dates and periods marshal as text in the forms the input files use, so they read
// naturally in JSON (manifests, API answers) and as map keys: a Date as "YYYY-MM-DD",
// a Period as "YYYY-MM". The zero Date and the zero Period marshal as "" and "" unmarshals
// to the zero value, so optional fields round-trip.

// MarshalText writes d as YYYY-MM-DD ("" for the zero Date).
func (d Date) MarshalText() ([]byte, error) {
	if d.IsZero() {
		return []byte{}, nil
	}
	return []byte(d.String()), nil
}

// UnmarshalText parses YYYY-MM-DD, rejecting impossible dates; "" gives the zero Date.
func (d *Date) UnmarshalText(b []byte) error {
	if len(b) == 0 {
		*d = Date{}
		return nil
	}
	v, err := ParseDate(string(b))
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// MarshalText writes p as YYYY-MM ("" for the zero Period).
func (p Period) MarshalText() ([]byte, error) {
	if p == (Period{}) {
		return []byte{}, nil
	}
	return []byte(p.String()), nil
}

// UnmarshalText parses YYYY-MM; "" gives the zero Period.
func (p *Period) UnmarshalText(b []byte) error {
	if len(b) == 0 {
		*p = Period{}
		return nil
	}
	v, err := ParsePeriod(string(b))
	if err != nil {
		return err
	}
	*p = v
	return nil
}
