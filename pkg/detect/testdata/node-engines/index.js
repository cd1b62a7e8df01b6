const http = require("http");

const server = http.createServer((req, res) => res.end("shop"));
server.listen(process.env.PORT ?? 3001);
