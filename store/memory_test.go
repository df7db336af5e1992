package store

import "testing"

func TestMemory(t *testing.T) {
	runSuite(t, func(t *testing.T) opener {
		data := make(map[string]*Memory) // account → its first handle
		return func(t *testing.T, account string, opt Options) Store {
			if m, ok := data[account]; ok {
				return m.reopen()
			}
			m := NewMemory(opt)
			data[account] = m
			return m
		}
	})
}

func BenchmarkMemory(b *testing.B) {
	runBenchmarks(b, func(b *testing.B) Store { return NewMemory(Options{}) })
}
