module example.com/broken

go one.two
