/** The part of webview-bun 2.4.0 that the app uses (see webview.js). */
import type { Pointer } from "bun:ffi";

export declare class Webview {
  constructor(debug?: boolean, size?: { width: number; height: number; hint: number });
  get unsafeHandle(): Pointer;
  set title(title: string);
  navigate(url: string): void;
  init(source: string): void;
  bind(name: string, callback: (...args: never[]) => unknown): void;
}

export declare const lib: {
  symbols: {
    webview_run(handle: Pointer): void;
    webview_terminate(handle: Pointer): void;
    webview_destroy(handle: Pointer): void;
  };
};
