// Loads the decorator metadata polyfill tsyringe needs, once for every test file.
import "reflect-metadata";
