module rot

go 1.26
