// Node-RED settings for the tests: loopback only, no editor login (nothing but the test can reach it),
// flows and credentials in the userDir the test passes (--userDir), credentials stored unencrypted.
// Port: --port on the command line. The broker comes from MQTT_HOST and MQTT_PORT (see examples/node-red).
module.exports = {
    uiHost: "127.0.0.1",
    flowFile: "flows.json",
    credentialSecret: false,
    flowFilePretty: true,
    // No projects, no palette manager, no telemetry or update check: the test has no external network.
    editorTheme: { projects: { enabled: false }, palette: { editable: false }, tours: false },
    externalModules: { autoInstall: false, palette: { allowInstall: false }, modules: { allowInstall: false } },
    telemetry: { enabled: false },
    diagnostics: { enabled: false },
    logging: { console: { level: "info", metrics: false, audit: false } },
    functionGlobalContext: {},
};
