//go:build !race

package main_test

// raceEnabled: the tests run under -race (make race, make check).
const raceEnabled = false
