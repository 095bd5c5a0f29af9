package portal_test

func stopBrowser() {}
