/** Entry point: one controller for the page, rendered into #app. */
import { render } from "preact";
import { App } from "./views/app.js";
import { Controller } from "./controller.js";
import "./styles.css";

const controller = new Controller();
const root = document.getElementById("app");
if (root !== null) {
  render(<App controller={controller} />, root);
  void controller.start();
  window.addEventListener("online", () => controller.retryNow());
}
