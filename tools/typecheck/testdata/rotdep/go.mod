module example.com/rotdep

go 1.26
