package rot

func onAndroid() int { return "not a number" }
