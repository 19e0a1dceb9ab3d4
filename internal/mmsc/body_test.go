package mmsc

import (
	"context"
	"errors"
	"testing"
	"testing/synctest"
)

func TestBodyClasses(t *testing.T) {
	for n := 1; n <= int(MaxMaxSize); n += 997 {
		c := classOf(n)
		if c < 0 {
			t.Fatalf("classOf(%d) = -1 below MaxMaxSize", n)
		}
		size := classSize(c)
		if size < n || (n > 1<<minClassShift && c > 0 && classSize(c-1) >= n) {
			t.Fatalf("classOf(%d) = %d of %d bytes: not the smallest that fits", n, c, size)
		}
		if n > 1<<minClassShift && float64(size) > 1.5*float64(n) {
			t.Fatalf("classOf(%d) = %d bytes: wastes more than a third", n, size)
		}
	}
	if classOf(classSize(bodyClasses-1)+1) != -1 {
		t.Fatal("a body above the largest class got a class")
	}
}

func TestBodiesRecycleAndBound(t *testing.T) {
	var p bodies
	b, rel, err := p.get(context.Background(), 300<<10)
	if err != nil || len(b) != 300<<10 || cap(b) != classSize(classOf(300<<10)) {
		t.Fatalf("get = len %d cap %d, %v", len(b), cap(b), err)
	}
	// The bytes held are bounded: a body that does not fit waits.
	big, relBig, err := p.get(context.Background(), maxBodyBytes-(300<<10))
	if err != nil || len(big) != maxBodyBytes-(300<<10) {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // the phone went away while waiting
	if _, _, err := p.get(ctx, 1); !errors.Is(err, context.Canceled) {
		t.Fatalf("get over the bound = %v, want it to wait until its context ends", err)
	}
	got := make(chan error, 1)
	go func() {
		_, r, err := p.get(context.Background(), 100<<10)
		if err == nil {
			r()
		}
		got <- err
	}()
	rel()
	if err := <-got; err != nil {
		t.Fatalf("get after a release = %v", err)
	}
	relBig()
	if p.limit.held != 0 || len(p.limit.waiters) != 0 {
		t.Fatalf("after every release: %d bytes held, %d waiters", p.limit.held, len(p.limit.waiters))
	}
}

func TestByteLimitFIFO(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var l byteLimit
		ctx := context.Background()
		if err := l.acquire(ctx, maxBodyBytes); err != nil {
			t.Fatal(err)
		}
		order := make(chan int64, 2)
		for _, n := range []int64{maxBodyBytes, 1} {
			go func() {
				if err := l.acquire(ctx, n); err == nil {
					order <- n
					l.release(n)
				}
			}()
			synctest.Wait() // queued before the next one
		}
		l.release(maxBodyBytes)
		if first, second := <-order, <-order; first != maxBodyBytes || second != 1 {
			t.Fatalf("granted %d then %d: a small request overtook a large one", first, second)
		}
	})
}
