// A hello app in Express.
//
//   GET /        says hello as JSON (the word is GREETING, "hello" unless set)
//   GET /health  says the app is up
//
// cupaas sets PORT; `cupaas env set GREETING=hi` changes the greeting.
const express = require("express");

const app = express();
const port = Number(process.env.PORT || 3000);

app.get("/", (req, res) => {
  res.json({ message: `${process.env.GREETING || "hello"} from node-express` });
});

app.get("/health", (req, res) => {
  res.send("ok");
});

app.listen(port, "0.0.0.0", () => {
  console.log(`listening on 0.0.0.0:${port}`);
});
