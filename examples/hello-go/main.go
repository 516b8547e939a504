// Command hello is the tagship example program: it prints "hello <version>", or just the
// version with --version. The version is stamped at build time with
// -ldflags "-X main.version=...".
package main

import (
	"fmt"
	"os"
)

var version = "dev"

func main() {
	if len(os.Args) > 1 && (os.Args[1] == "--version" || os.Args[1] == "-version") {
		fmt.Println(version)
		return
	}
	fmt.Printf("hello %s\n", version)
}
