package ui

// MediaWords are the files and media panel's words in l.
func MediaWords(l Lang) any { return mediaCatalog[l] }
