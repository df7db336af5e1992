module rot

go 1.26

require example.com/rotdep v0.0.0

replace example.com/rotdep => ../rotdep
