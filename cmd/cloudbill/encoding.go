package main

import (
	"flag"

	"cloudbill/internal/csvin"
	"cloudbill/metering"
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

// addMetricMaxFlag adds --metric-max (repeatable) to a command that takes samples; the
// ranges start as metering.DefaultRanges.
func addMetricMaxFlag(fs *flag.FlagSet) *metering.Ranges {
	r := metering.DefaultRanges()
	fs.Func("metric-max", "ceiling of one sample of a metric, `metric=max` (repeatable; defaults: *_util 100, net_out_gb 10000, disk_used_gb and objstore_gb 10000000, others 1e9); values below 0 or above the ceiling are rejected lines", r.ParseCeiling)
	return r
}
