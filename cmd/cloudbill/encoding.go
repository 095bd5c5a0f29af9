package main

import (
	"flag"

	"cloudbill/internal/csvin"
)

// encodingValue is the --encoding flag of the commands that read input files.
type encodingValue struct{ enc *csvin.Encoding }

func (v encodingValue) String() string {
	if v.enc == nil {
		return "auto"
	}
	return v.enc.String()
}

func (v encodingValue) Set(s string) error {
	e, err := csvin.ParseEncoding(s)
	if err != nil {
		return err
	}
	*v.enc = e
	return nil
}

// addEncodingFlag adds --encoding to a command that reads input files; the value goes
// to a.encoding, which openInput and ingest use.
func (a *app) addEncodingFlag(fs *flag.FlagSet) {
	fs.Var(encodingValue{&a.encoding}, "encoding",
		"character `encoding` of the input files: auto (decided from the text: UTF-8, or GB18030 as Excel on a Chinese Windows saves; a file mixing them, or neither, is refused naming the line and byte), utf-8 or gb18030")
}
