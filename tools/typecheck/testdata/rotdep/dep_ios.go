package rotdep

func view(e Event) uintptr { return e.View }
