/** evolvd's OpenFeature providers (`import { EvolvdProvider, EvolvdLocalProvider } from "evolvd/openfeature"`). */
export { EvolvdProvider, type EvolvdProviderOptions } from "./provider.js";
export { EvolvdLocalProvider, type EvolvdLocalProviderOptions } from "./local-provider.js";
