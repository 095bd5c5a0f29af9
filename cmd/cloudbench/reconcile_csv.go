package main

import (
	"bytes"
	"encoding/csv"
)

func readCSVRecords(b []byte) ([][]string, error) {
	return csv.NewReader(bytes.NewReader(b)).ReadAll()
}
