import { shell } from "./api.js";
shell();
