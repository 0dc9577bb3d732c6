// End-to-end fixture for the VS Code client: a JavaScript-only workspace.
const express = require("express");

const app = express();

async function notify(order) {
  try {
    await sendEmail(order.email);
  } catch (e) {}
}

app.post("/orders/:id/notify", async (req, res) => {
  await notify(req.body);
  res.sendStatus(204);
});

app.listen(3000);
