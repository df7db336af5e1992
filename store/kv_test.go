package store

import (
	"errors"
	"maps"
	"slices"
	"strings"
)

// memKV is a fake kv backend held in memory. Handles made by reopen share
// the records, as a browser's IndexedDB outlives the page.
type memKV struct {
	db     *memDB
	closed bool
}

type memDB struct {
	recs map[string]string
	// fail, when set, makes every Write fail with it and change nothing.
	fail error
	// writes are the batches written so far.
	writes []batch
}

func newMemKV() *memKV { return &memKV{db: &memDB{recs: map[string]string{}}} }

// reopen returns a new handle over the same records.
func (k *memKV) reopen() *memKV { return &memKV{db: k.db} }

var errKVClosed = errors.New("memKV: closed")

func (k *memKV) Scan(prefix string) ([]kvRecord, error) {
	if k.closed {
		return nil, errKVClosed
	}
	var out []kvRecord
	for _, key := range slices.Sorted(maps.Keys(k.db.recs)) {
		if strings.HasPrefix(key, prefix) {
			out = append(out, kvRecord{key, k.db.recs[key]})
		}
	}
	return out, nil
}

func (k *memKV) Write(b *batch) error {
	if k.closed {
		return errKVClosed
	}
	if k.db.fail != nil {
		return k.db.fail
	}
	for _, op := range b.Ops {
		switch op.Kind {
		case opPut:
			k.db.recs[op.Key] = op.Value
		case opDelete:
			delete(k.db.recs, op.Key)
		case opDeleteRange:
			for key := range k.db.recs {
				if op.Key <= key && key < op.End {
					delete(k.db.recs, key)
				}
			}
		}
	}
	k.db.writes = append(k.db.writes, batch{Ops: slices.Clone(b.Ops), Strict: b.Strict})
	return nil
}

func (k *memKV) Close() error {
	if k.closed {
		return errKVClosed
	}
	k.closed = true
	return nil
}

// count returns how many records have keys starting with prefix.
func (db *memDB) count(prefix string) int {
	n := 0
	for key := range db.recs {
		if strings.HasPrefix(key, prefix) {
			n++
		}
	}
	return n
}
