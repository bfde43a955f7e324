/**
 * `llmbatch/testing`: test doubles for code built on llmbatch, so its unit tests drive time and
 * answers themselves instead of sleeping or calling a provider. For tests over real HTTP, start
 * the bundled simulator (`llmbatch/simulator`).
 */
export { FakeClock, type Clock } from "./gates/clock.js";
export { FakeProvider, fakeResponse, type FakeBehaviour } from "./providers/fake-provider.js";
