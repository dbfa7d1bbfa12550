import { describe, expect, it } from "vitest";
import { AddressError, formatAddress, isLoopbackHost, parseAddress, parseAddressList, toAddress } from "../../src/real/address.js";

describe("address: flint://host:port", () => {
  it("address: parses a host name, an IPv4 and a bracketed IPv6 host", () => {
    expect(parseAddress("flint://m1.example.com:7077")).toEqual({ host: "m1.example.com", port: 7077 });
    expect(parseAddress("flint://127.0.0.1:1")).toEqual({ host: "127.0.0.1", port: 1 });
    expect(parseAddress("flint://[::1]:65535")).toEqual({ host: "::1", port: 65535 });
    expect(parseAddress("  FLINT://localhost:7077/ ")).toEqual({ host: "localhost", port: 7077 });
  });

  it("address: formats and normalizes, bracketing IPv6", () => {
    expect(formatAddress("m1", 7077)).toBe("flint://m1:7077");
    expect(formatAddress("::1", 7077)).toBe("flint://[::1]:7077");
    expect(toAddress("FLINT://m1:7077/")).toBe("flint://m1:7077");
  });

  const bad: Array<[string, string, RegExp]> = [
    ["spark://m1:7077", "bad-scheme", /scheme 'spark:\/\/' is not 'flint:\/\/'/],
    ["m1:7077", "bad-scheme", /must start with 'flint:\/\/'/],
    ["flint://", "missing-host", /no host/],
    ["flint://:7077", "missing-host", /no host before the port/],
    ["flint://m1", "missing-port", /no port/],
    ["flint://m1:", "missing-port", /no port/],
    ["flint://m1:http", "bad-port", /not a number/],
    ["flint://m1:-1", "bad-port", /not a number/],
    ["flint://m1:0", "port-range", /outside 1..65535/],
    ["flint://m1:65536", "port-range", /outside 1..65535/],
    ["flint://m 1:7077", "bad-host", /not a host name/],
    ["flint://::1:7077", "bad-host", /must be written in brackets/],
    ["flint://[::1:7077", "bad-host", /no closing/],
    ["flint://[nothost]:7077", "bad-host", /not an IPv6 address/],
    ["flint://[::1]x7077", "bad-host", /unexpected/],
  ];
  for (const [input, reason, message] of bad) {
    it(`address: rejects ${JSON.stringify(input)} as ${reason}`, () => {
      let caught: unknown;
      try {
        parseAddress(input);
      } catch (err) {
        caught = err;
      }
      expect(caught).toBeInstanceOf(AddressError);
      expect((caught as AddressError).reason).toBe(reason);
      expect((caught as AddressError).message).toMatch(message);
      expect((caught as AddressError).message).toContain(JSON.stringify(input));
    });
  }

  it("address: port 0 is accepted only when asked (listening on an ephemeral port)", () => {
    expect(parseAddress("flint://127.0.0.1:0", { allowPortZero: true })).toEqual({ host: "127.0.0.1", port: 0 });
  });

  it("address: parses a list of masters, with the scheme given once or on each entry", () => {
    expect(parseAddressList("flint://m1:7077,m2:7077")).toEqual(["flint://m1:7077", "flint://m2:7077"]);
    expect(parseAddressList("flint://m1:7077, flint://m2:7078")).toEqual(["flint://m1:7077", "flint://m2:7078"]);
  });

  it("address: a list with an empty or bad entry names the problem", () => {
    expect(() => parseAddressList("")).toThrow(/no address given/);
    expect(() => parseAddressList("flint://m1:7077,,m2:7077")).toThrow(/entry 2 is empty/);
    expect(() => parseAddressList("flint://m1:7077,m2")).toThrow(/no port/);
  });

  it("address: loopback hosts are recognized", () => {
    for (const h of ["127.0.0.1", "127.1.2.3", "localhost", "::1", "::ffff:127.0.0.1"]) expect(isLoopbackHost(h)).toBe(true);
    for (const h of ["0.0.0.0", "10.0.0.1", "example.com", "::"]) expect(isLoopbackHost(h)).toBe(false);
  });
});
