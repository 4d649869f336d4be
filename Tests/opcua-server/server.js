// A small OPC UA server for the OPC UA tests (client library and gateway backend).
// Usage: node server.js [port] [--secure-only] [--many] [--churn <ms>] [--no-stdin]   (or OPCUA_PORT=...; default 48400)
//        node server.js --prepare   (creates the certificate and PKI folder once, then exits)
// Endpoints: SecurityPolicy None, Basic256Sha256, Aes128_Sha256_RsaOaep and Aes256_Sha256_RsaPss, each in modes
// None (with None only), Sign and SignAndEncrypt; --secure-only leaves out None (a server that requires encryption
// still answers GetEndpoints on a None channel, as the specification asks).
// Prints "READY opc.tcp://127.0.0.1:<port>/UA/MqttIoT" on stdout when it accepts connections.
//
// Address space, all in the server's own namespace (ns=1), under Objects/Plant:
//   Boiler1, Boiler2  objects with Temperature (Double, read-only, changes every 100 ms), Counter (UInt32,
//                     read-only, counts), Setpoint (Int32, writable), Label (String, writable),
//                     Config (ByteString, writable), methods Reset() and SetTime(DateTime) -> (Double offsetMs)
//   Pump1             Speed (Float, writable), Running (Boolean, writable), Mode (BaseDataType: any type, writable,
//                     holds the Double 3.5 at start), no methods
//   Bulk              300 variables Tag000..Tag299 (Int16): a browse of it needs BrowseNext and chunked messages,
//                     Blob (ByteString, 40,000 bytes, writable): reads and writes of it are chunked
// Objects/Site, nested: Site/Line1/Motor1 (MotorType), Site/Line1/Sensor1 (a plain object), Site/Line2/Cell/Motor2
//                     (FastMotorType, a subtype of MotorType); each motor has Temperature (Double) and a component
//                     Drive with Speed (Float, writable) and Mode (Int32)
// Objects/Many     (with --many) 5,000 variables V0000..V4999 (Int32, holding their index): 5,000 monitored items; the server
//                     takes at most 1,000 per CreateMonitoredItems call (ServerCapabilities), so clients must batch
// Users: anonymous, any X.509 user certificate (accepted on first use), and operator / secret (password encrypted for the server certificate, RSA-OAEP).
"use strict";

const fs = require("fs");
const os = require("os");
const path = require("path");
const {
  OPCUAServer, OPCUACertificateManager, Variant, DataType, StatusCodes, SecurityPolicy, MessageSecurityMode,
} = require("node-opcua");

const pkiFolder = path.join(__dirname, "pki");
const prepareOnly = process.argv.includes("--prepare");
const secureOnly = process.argv.includes("--secure-only");
// --many: add Objects/Many (5,000 variables), which only the scale test and the benchmarks need: it costs start time.
const withMany = process.argv.includes("--many");
// --churn <ms>: every Many variable takes a new value this often (for the benchmarks' notification rate).
const churnAt = process.argv.indexOf("--churn");
const churnMs = churnAt > 0 ? Number(process.argv[churnAt + 1]) : 0;
const port = Number(process.argv.slice(2).find((a, i, all) => /^\d+$/.test(a) && all[i - 1] !== "--churn") || process.env.OPCUA_PORT || 48400);

function writable(namespace, parent, name, dataType, value) {
  return namespace.addVariable({
    componentOf: parent,
    browseName: name,
    nodeId: `s=${parent.browseName.name}.${name}`,
    dataType,
    accessLevel: "CurrentRead | CurrentWrite",
    userAccessLevel: "CurrentRead | CurrentWrite",
    value: new Variant({ dataType: DataType[dataType], value }),
  });
}

function readOnly(namespace, parent, name, dataType, value) {
  return namespace.addVariable({
    componentOf: parent,
    browseName: name,
    nodeId: `s=${parent.browseName.name}.${name}`,
    dataType,
    accessLevel: "CurrentRead",
    userAccessLevel: "CurrentRead",
    value: new Variant({ dataType: DataType[dataType], value }),
  });
}

function addBoiler(namespace, plant, name, timers) {
  const boiler = namespace.addObject({ organizedBy: plant, browseName: name, nodeId: `s=${name}` });
  let temperature = 20.5;
  let counter = 0;
  let clockOffsetMs = 1500; // the boiler's clock runs 1.5 s ahead until SetTime
  const temperatureVar = readOnly(namespace, boiler, "Temperature", "Double", temperature);
  const counterVar = readOnly(namespace, boiler, "Counter", "UInt32", counter);
  const setpoint = writable(namespace, boiler, "Setpoint", "Int32", 20);
  writable(namespace, boiler, "Label", "String", `${name} in hall A`);
  const config = writable(namespace, boiler, "Config", "ByteString", Buffer.from([1, 2, 3, 4]));
  timers.push(setInterval(() => {
    temperature = Math.round((temperature + (Math.random() - 0.5)) * 100) / 100;
    counter += 1;
    temperatureVar.setValueFromSource(new Variant({ dataType: DataType.Double, value: temperature }));
    counterVar.setValueFromSource(new Variant({ dataType: DataType.UInt32, value: counter }));
  }, 100));

  const reset = namespace.addMethod(boiler, { browseName: "Reset", nodeId: `s=${name}.Reset`, inputArguments: [], outputArguments: [] });
  reset.bindMethod((_inputs, _context, callback) => {
    counter = 0;
    setpoint.setValueFromSource(new Variant({ dataType: DataType.Int32, value: 20 }));
    config.setValueFromSource(new Variant({ dataType: DataType.ByteString, value: Buffer.from([1, 2, 3, 4]) }));
    callback(null, { statusCode: StatusCodes.Good, outputArguments: [] });
  });

  const setTime = namespace.addMethod(boiler, {
    browseName: "SetTime",
    nodeId: `s=${name}.SetTime`,
    inputArguments: [{ name: "time", dataType: DataType.DateTime, description: "the new clock time (UTC)" }],
    outputArguments: [{ name: "offsetMs", dataType: DataType.Double, description: "clock minus the time given, before setting it" }],
  });
  setTime.bindMethod((inputs, _context, callback) => {
    const given = inputs[0].value;
    if (!(given instanceof Date)) return callback(null, { statusCode: StatusCodes.BadInvalidArgument });
    const before = clockOffsetMs;
    clockOffsetMs = 0;
    callback(null, { statusCode: StatusCodes.Good, outputArguments: [new Variant({ dataType: DataType.Double, value: before })] });
  });
}

// Each running server works on its own copy of the prepared PKI folder: node-opcua guards the folder with lock
// files, which a killed server leaves behind (the next start would wait for them to go stale) and which two
// servers started at once would contend for.
function privatePki() {
  if (prepareOnly) return pkiFolder;
  // Copies left by servers that were killed (their pid is in the name) are removed here.
  for (const name of fs.readdirSync(os.tmpdir())) {
    const match = /^mqttiot-opcua-(\d+)-/.exec(name);
    if (!match) continue;
    try { process.kill(Number(match[1]), 0); } catch { fs.rmSync(path.join(os.tmpdir(), name), { recursive: true, force: true }); }
  }
  const copy = fs.mkdtempSync(path.join(os.tmpdir(), `mqttiot-opcua-${process.pid}-`));
  fs.cpSync(pkiFolder, copy, { recursive: true, filter: (src) => !src.endsWith(".mutex") && path.basename(src) !== "mutex" });
  process.on("exit", () => fs.rmSync(copy, { recursive: true, force: true }));
  return copy;
}

async function main() {
  const pki = privatePki();
  const serverCertificateManager = new OPCUACertificateManager({
    rootFolder: pki,
    automaticallyAcceptUnknownCertificate: true,
  });
  // User certificates (X509 identity) are checked against their own PKI folder; the tests' users are accepted.
  const userCertificateManager = new OPCUACertificateManager({
    rootFolder: path.join(pki, "user"),
    automaticallyAcceptUnknownCertificate: true,
  });
  const server = new OPCUAServer({
    userCertificateManager,
    port,
    hostname: "127.0.0.1",
    resourcePath: "/UA/MqttIoT",
    serverCertificateManager,
    certificateFile: path.join(pki, "server_certificate.pem"),
    privateKeyFile: path.join(pki, "own", "private", "private_key.pem"),
    // node-opcua offers user names on the None endpoint only when a secure policy exists to encrypt the password
    // with (the token policy then says Basic256Sha256).
    securityPolicies: [
      ...(secureOnly ? [] : [SecurityPolicy.None]),
      SecurityPolicy.Basic256Sha256, SecurityPolicy.Aes128_Sha256_RsaOaep, SecurityPolicy.Aes256_Sha256_RsaPss,
    ],
    securityModes: [...(secureOnly ? [] : [MessageSecurityMode.None]), MessageSecurityMode.Sign, MessageSecurityMode.SignAndEncrypt],
    allowAnonymous: true,
    userManager: { isValidUser: (user, password) => user === "operator" && password === "secret" },
    serverCapabilities: { operationLimits: { maxMonitoredItemsPerCall: 1000 }, maxMonitoredItemsPerSubscription: 20000 },
    buildInfo: { productName: "MqttIoT test server", manufacturerName: "MqttIoT" },
  });
  await server.initialize();
  if (prepareOnly) {
    console.log(`PREPARED ${pkiFolder}`);
    process.exit(0);
  }

  const addressSpace = server.engine.addressSpace;
  const namespace = addressSpace.getOwnNamespace();
  const plant = namespace.addFolder(addressSpace.rootFolder.objects, { browseName: "Plant", nodeId: "s=Plant" });
  const timers = [];
  addBoiler(namespace, plant, "Boiler1", timers);
  addBoiler(namespace, plant, "Boiler2", timers);

  const pump = namespace.addObject({ organizedBy: plant, browseName: "Pump1", nodeId: "s=Pump1" });
  writable(namespace, pump, "Speed", "Float", 1450.5);
  writable(namespace, pump, "Running", "Boolean", true);
  // An abstract DataType: a value of any type fits, so clients carry it as a whole Variant.
  namespace.addVariable({
    componentOf: pump,
    browseName: "Mode",
    nodeId: "s=Pump1.Mode",
    dataType: "BaseDataType",
    accessLevel: "CurrentRead | CurrentWrite",
    userAccessLevel: "CurrentRead | CurrentWrite",
    value: new Variant({ dataType: DataType.Double, value: 3.5 }),
  });

  const bulk = namespace.addObject({ organizedBy: plant, browseName: "Bulk", nodeId: "s=Bulk" });
  for (let i = 0; i < 300; i++) readOnly(namespace, bulk, `Tag${String(i).padStart(3, "0")}`, "Int16", i);
  const blob = Buffer.alloc(40000);
  for (let i = 0; i < blob.length; i++) blob[i] = i % 251;
  writable(namespace, bulk, "Blob", "ByteString", blob);

  const site = namespace.addFolder(addressSpace.rootFolder.objects, { browseName: "Site", nodeId: "s=Site" });
  const motorType = namespace.addObjectType({ browseName: "MotorType", nodeId: "s=MotorType" });
  const fastMotorType = namespace.addObjectType({ browseName: "FastMotorType", nodeId: "s=FastMotorType", subtypeOf: motorType });
  const line1 = namespace.addFolder(site, { browseName: "Line1", nodeId: "s=Line1" });
  const line2 = namespace.addFolder(site, { browseName: "Line2", nodeId: "s=Line2" });
  const cell = namespace.addObject({ organizedBy: line2, browseName: "Cell", nodeId: "s=Cell" });
  const addMotor = (parent, name, typeDefinition, speed) => {
    const motor = namespace.addObject({ organizedBy: parent, browseName: name, nodeId: `s=${name}`, typeDefinition });
    readOnly(namespace, motor, "Temperature", "Double", 40.5);
    const drive = namespace.addObject({ componentOf: motor, browseName: "Drive", nodeId: `s=${name}.Drive` });
    // Not the helpers: their node ids come from the parent's browse name, which both drives share.
    namespace.addVariable({ componentOf: drive, browseName: "Speed", nodeId: `s=${name}.Drive.Speed`, dataType: "Float",
      accessLevel: "CurrentRead | CurrentWrite", userAccessLevel: "CurrentRead | CurrentWrite", value: new Variant({ dataType: DataType.Float, value: speed }) });
    namespace.addVariable({ componentOf: drive, browseName: "Mode", nodeId: `s=${name}.Drive.Mode`, dataType: "Int32",
      accessLevel: "CurrentRead", userAccessLevel: "CurrentRead", value: new Variant({ dataType: DataType.Int32, value: 2 }) });
  };
  addMotor(line1, "Motor1", motorType, 1200.5);
  addMotor(cell, "Motor2", fastMotorType, 3000.25);
  const sensor = namespace.addObject({ organizedBy: line1, browseName: "Sensor1", nodeId: "s=Sensor1" });
  readOnly(namespace, sensor, "Level", "Double", 0.75);

  const many = !withMany ? null : namespace.addObject({ organizedBy: addressSpace.rootFolder.objects, browseName: "Many", nodeId: "s=Many" });
  const manyVars = [];
  for (let i = 0; withMany && i < 5000; i++) manyVars.push(readOnly(namespace, many, `V${String(i).padStart(4, "0")}`, "Int32", i));
  if (churnMs > 0) {
    let round = 0;
    timers.push(setInterval(() => {
      round += 1;
      for (let i = 0; i < manyVars.length; i++) manyVars[i].setValueFromSource(new Variant({ dataType: DataType.Int32, value: round * 10000 + i }));
    }, churnMs));
  }

  await server.start();
  console.log(`READY opc.tcp://127.0.0.1:${port}/UA/MqttIoT`);

  const stop = async () => {
    timers.forEach(clearInterval);
    await server.shutdown(0);
    process.exit(0);
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
  // The test fixture holds our stdin; when it goes away (test host killed), so do we. --no-stdin: a caller that
  // does not give us a stdin (the benchmarks, which stop us by signal) keeps us running.
  if (!process.argv.includes("--no-stdin")) {
    process.stdin.on("end", stop);
    process.stdin.resume();
  }
}

main().catch((err) => {
  console.error(`FAILED ${err && err.stack ? err.stack : err}`);
  process.exit(1);
});
