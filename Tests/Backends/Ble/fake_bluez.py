#!/usr/bin/python3
"""A BlueZ-shaped peer for the BLE backend's tests.

Exports on a private bus what bluetoothd exports on the system bus, with the same names and shapes:
the ObjectManager at /, an adapter at /org/bluez/hci0 (org.bluez.Adapter1), devices at
/org/bluez/hci0/dev_AA_BB_CC_DD_EE_FF (org.bluez.Device1), and, while a device is connected, its GATT
database as org.bluez.GattService1 / org.bluez.GattCharacteristic1 objects under it
(.../service000a/char000b). Errors carry BlueZ's names (org.bluez.Error.InProgress, NotConnected,
NotPermitted, NotSupported, Failed, ...). Every change is a PropertiesChanged / InterfacesAdded /
InterfacesRemoved signal, as in BlueZ.

Like BlueZ when another client scans without a filter, it does not apply discovery filters: it records
them (control: DiscoveryFilter) and reports every advertiser, so the backend must re-check matches.

Tests steer it through org.mqttiot.FakeBlueZ1 at /org/mqttiot/fake (JSON in, JSON out): add advertisers
that appear while discovery runs, drop a connection from the device side, notify, make the next GATT calls
fail with InProgress, make the next calls on one characteristic fail with any BlueZ error, slow GATT calls down,
read a device's state.

Run with Debian's python3 (python3-dbus, python3-gi): fake_bluez.py --address unix:path=/tmp/x/bus
Prints "ready" once it owns org.bluez.
"""

import argparse
import datetime
import json
import signal
import sys

import dbus
import dbus.mainloop.glib
import dbus.service
from gi.repository import GLib

BLUEZ = "org.bluez"
ADAPTER = "org.bluez.Adapter1"
DEVICE = "org.bluez.Device1"
SERVICE = "org.bluez.GattService1"
CHRC = "org.bluez.GattCharacteristic1"
PROPS = "org.freedesktop.DBus.Properties"
OM = "org.freedesktop.DBus.ObjectManager"
CONTROL = "org.mqttiot.FakeBlueZ1"
ADAPTER_PATH = "/org/bluez/hci0"

# 128-bit forms of the 16-bit SIG UUIDs, as BlueZ reports them.
def sig(short):
    return "0000%04x-0000-1000-8000-00805f9b34fb" % short

CUSTOM_SERVICE = "c0de0000-4d51-4954-8000-000000000001"
CONFIG_UUID = "c0de0001-4d51-4954-8000-000000000001"
RESET_UUID = "c0de0002-4d51-4954-8000-000000000001"
COUNTER_UUID = "c0de0003-4d51-4954-8000-000000000001"
DEFAULT_CONFIG = bytes([1, 2, 3, 4])


def error(name, message):
    return dbus.exceptions.DBusException(message, name="org.bluez.Error." + name)


def ay(data):
    return dbus.Array([dbus.Byte(b) for b in data], signature="y")


class Props(dbus.service.Object):
    """An object with org.freedesktop.DBus.Properties over its interfaces' property dicts."""

    def __init__(self, bus, path):
        self.path = path
        self.props = {}
        self.writable = set()
        super().__init__(bus, path)

    def set(self, iface, name, value):
        self.props[iface][name] = value
        self.PropertiesChanged(iface, dbus.Dictionary({name: value}, signature="sv"), dbus.Array([], signature="s"))

    def drop(self, iface, name):
        if self.props[iface].pop(name, None) is not None:
            self.PropertiesChanged(iface, dbus.Dictionary({}, signature="sv"), dbus.Array([name], signature="s"))

    def managed(self):
        return dbus.Dictionary({i: dbus.Dictionary(p, signature="sv") for i, p in self.props.items()}, signature="sa{sv}")

    @dbus.service.method(PROPS, in_signature="ss", out_signature="v")
    def Get(self, iface, name):
        if iface not in self.props or name not in self.props[iface]:
            raise dbus.exceptions.DBusException("No such property '%s'" % name, name="org.freedesktop.DBus.Error.InvalidArgs")
        return self.props[iface][name]

    @dbus.service.method(PROPS, in_signature="s", out_signature="a{sv}")
    def GetAll(self, iface):
        return dbus.Dictionary(self.props.get(iface, {}), signature="sv")

    @dbus.service.method(PROPS, in_signature="ssv", out_signature="")
    def Set(self, iface, name, value):
        if (iface, name) not in self.writable:
            raise dbus.exceptions.DBusException("Property '%s' is not writable" % name, name="org.freedesktop.DBus.Error.PropertyReadOnly")
        self.on_set(iface, name, value)

    def on_set(self, iface, name, value):
        self.set(iface, name, value)

    @dbus.service.signal(PROPS, signature="sa{sv}as")
    def PropertiesChanged(self, iface, changed, invalidated):
        pass


class Root(dbus.service.Object):
    """The ObjectManager at /, as bluetoothd has it."""

    def __init__(self, bus):
        self.objects = {}
        super().__init__(bus, "/")

    def add(self, obj):
        self.objects[obj.path] = obj
        self.InterfacesAdded(obj.path, obj.managed())

    def remove(self, obj):
        if self.objects.pop(obj.path, None) is None:
            return
        self.InterfacesRemoved(obj.path, dbus.Array(list(obj.props.keys()), signature="s"))
        obj.remove_from_connection()

    @dbus.service.method(OM, in_signature="", out_signature="a{oa{sa{sv}}}")
    def GetManagedObjects(self):
        return dbus.Dictionary({p: o.managed() for p, o in self.objects.items()}, signature="oa{sa{sv}}")

    @dbus.service.signal(OM, signature="oa{sa{sv}}")
    def InterfacesAdded(self, path, interfaces):
        pass

    @dbus.service.signal(OM, signature="oas")
    def InterfacesRemoved(self, path, interfaces):
        pass


class Adapter(Props):
    FILTER_KEYS = {"UUIDs", "RSSI", "Pathloss", "Transport", "DuplicateData", "Discoverable", "Pattern", "AutoConnect"}

    def __init__(self, fake):
        super().__init__(fake.bus, ADAPTER_PATH)
        self.fake = fake
        self.sessions = set()
        self.filters = {}
        self.last_filter = None
        self.pending = []
        self.props[ADAPTER] = {
            "Address": "00:1A:7D:DA:71:13", "AddressType": "public", "Name": "fake-hci0", "Alias": "fake-hci0",
            "Class": dbus.UInt32(0), "Powered": dbus.Boolean(False), "Discoverable": dbus.Boolean(False),
            "Pairable": dbus.Boolean(True), "Discovering": dbus.Boolean(False),
            "UUIDs": dbus.Array([], signature="s"), "Roles": dbus.Array(["central", "peripheral"], signature="s"),
        }
        self.writable = {(ADAPTER, "Powered"), (ADAPTER, "Alias")}

    @property
    def powered(self):
        return bool(self.props[ADAPTER]["Powered"])

    def on_set(self, iface, name, value):
        if name == "Powered" and not bool(value):
            self.power_off()
        self.set(iface, name, dbus.Boolean(bool(value)) if name == "Powered" else value)
        self.fake.calls.append("Set:%s=%s" % (name, value))

    def power_off(self):
        for device in list(self.fake.devices.values()):
            if device.connected:
                device.disconnect("power off")
        self.sessions.clear()
        self.stop_scan()

    def stop_scan(self):
        for source in self.pending:
            GLib.source_remove(source)
        self.pending = []
        if self.props[ADAPTER]["Discovering"]:
            self.set(ADAPTER, "Discovering", dbus.Boolean(False))

    @dbus.service.method(ADAPTER, in_signature="", out_signature="", sender_keyword="sender")
    def StartDiscovery(self, sender=None):
        self.fake.calls.append("StartDiscovery")
        if not self.powered:
            raise error("NotReady", "Resource Not Ready")
        if sender in self.sessions:
            raise error("InProgress", "Operation already in progress")
        self.sessions.add(sender)
        # As bluetoothd does, a client that leaves the bus ends its discovery session.
        self.fake.bus.watch_name_owner(sender, lambda owner, s=sender: owner == "" and self.client_gone(s))
        if not self.props[ADAPTER]["Discovering"]:
            self.set(ADAPTER, "Discovering", dbus.Boolean(True))
            for spec in self.fake.advertisers:
                self.pending.append(GLib.timeout_add(int(spec.get("delayMs", 20)), self.advertise, spec))

    def client_gone(self, sender):
        if sender in self.sessions:
            self.sessions.discard(sender)
            if not self.sessions:
                self.stop_scan()

    def advertise(self, spec):
        self.fake.appear(spec)
        return False

    @dbus.service.method(ADAPTER, in_signature="", out_signature="", sender_keyword="sender")
    def StopDiscovery(self, sender=None):
        self.fake.calls.append("StopDiscovery")
        if not self.powered:
            raise error("NotReady", "Resource Not Ready")
        if sender not in self.sessions:
            raise error("Failed", "No discovery started")
        self.sessions.discard(sender)
        if not self.sessions:
            self.stop_scan()

    @dbus.service.method(ADAPTER, in_signature="a{sv}", out_signature="", sender_keyword="sender")
    def SetDiscoveryFilter(self, properties, sender=None):
        self.fake.calls.append("SetDiscoveryFilter")
        unknown = set(properties.keys()) - self.FILTER_KEYS
        if unknown:
            raise error("InvalidArguments", "Invalid arguments in method call")
        if "Transport" in properties and str(properties["Transport"]) not in ("auto", "bredr", "le"):
            raise error("InvalidArguments", "Invalid arguments in method call")
        self.filters[sender] = properties
        self.last_filter = {str(k): self.fake.plain(v) for k, v in properties.items()}

    @dbus.service.method(ADAPTER, in_signature="", out_signature="as")
    def GetDiscoveryFilters(self):
        return dbus.Array(sorted(self.FILTER_KEYS), signature="s")

    @dbus.service.method(ADAPTER, in_signature="o", out_signature="")
    def RemoveDevice(self, path):
        self.fake.calls.append("RemoveDevice")
        device = next((d for d in self.fake.devices.values() if d.path == path), None)
        if device is None:
            raise error("DoesNotExist", "Does Not Exist")
        self.fake.vanish(device)


class Characteristic(Props):
    def __init__(self, device, service, index, uuid, flags, read=None, write=None, value=b""):
        super().__init__(device.fake.bus, "%s/char%04x" % (service.path, index))
        self.device = device
        self.uuid = uuid
        self.flags = flags
        self.on_read = read
        self.on_write = write
        self.clients = set()
        # Errors (name, message) the next GATT calls on this characteristic answer, one each (control: FailNext).
        self.fail_next = []
        self.props[CHRC] = {
            "UUID": uuid, "Service": dbus.ObjectPath(service.path), "Value": ay(value),
            "Flags": dbus.Array(flags, signature="s"), "Handle": dbus.UInt16(index), "MTU": dbus.UInt16(23),
        }
        if "notify" in flags or "indicate" in flags:
            self.props[CHRC]["Notifying"] = dbus.Boolean(False)
            self.props[CHRC]["NotifyAcquired"] = dbus.Boolean(False)

    @property
    def value(self):
        return bytes(self.props[CHRC]["Value"])

    def update(self, data):
        self.set(CHRC, "Value", ay(data))

    def notify(self, data):
        if self.clients:
            self.update(data)

    def gatt(self, name, reply, fail, action):
        """Runs one GATT operation as BlueZ would: refused when disconnected, InProgress while injected, after the device's latency."""
        device = self.device
        device.fake.calls.append("%s:%s" % (name, self.uuid))
        if not device.connected:
            fail(error("Failed", "Not connected"))
            return
        if self.fail_next:
            name, message = self.fail_next.pop(0)
            fail(dbus.exceptions.DBusException(message, name=name if "." in name else "org.bluez.Error." + name))
            return
        if device.busy > 0:
            device.busy -= 1
            fail(error("InProgress", "In Progress"))
            return
        device.active += 1
        device.max_active = max(device.max_active, device.active)

        def finish():
            device.active -= 1
            if not device.connected:
                fail(error("Failed", "Not connected"))
                return False
            try:
                result = action()
            except dbus.exceptions.DBusException as e:
                fail(e)
                return False
            if result is None:
                reply()
            else:
                reply(result)
            return False

        if device.latency_ms > 0:
            GLib.timeout_add(device.latency_ms, finish)
        else:
            finish()

    @dbus.service.method(CHRC, in_signature="a{sv}", out_signature="ay", async_callbacks=("reply", "fail"))
    def ReadValue(self, options, reply, fail):
        def read():
            if "read" not in self.flags:
                raise error("NotPermitted", "Read not permitted")
            data = self.on_read() if self.on_read else self.value
            # BlueZ caches what it read in Value, with a PropertiesChanged.
            self.update(data)
            return ay(data)
        self.gatt("ReadValue", reply, fail, read)

    @dbus.service.method(CHRC, in_signature="aya{sv}", out_signature="", async_callbacks=("reply", "fail"))
    def WriteValue(self, value, options, reply, fail):
        def write():
            kind = str(options.get("type", ""))
            if kind == "":
                kind = "request" if "write" in self.flags else "command"
            needed = "write" if kind == "request" else "write-without-response"
            if kind not in ("request", "command") or needed not in self.flags:
                raise error("NotSupported", "Operation is not supported")
            data = bytes(value)
            if self.on_write:
                self.on_write(data)
            else:
                self.props[CHRC]["Value"] = ay(data)
            self.device.writes.append({"uuid": self.uuid, "type": kind, "value": data.hex()})
            return None
        self.gatt("WriteValue", reply, fail, write)

    @dbus.service.method(CHRC, in_signature="", out_signature="", sender_keyword="sender", async_callbacks=("reply", "fail"))
    def StartNotify(self, reply, fail, sender=None):
        def start():
            if "notify" not in self.flags and "indicate" not in self.flags:
                raise error("NotSupported", "Operation is not supported")
            if sender in self.clients:
                raise error("InProgress", "In Progress")
            self.clients.add(sender)
            if len(self.clients) == 1:
                self.set(CHRC, "Notifying", dbus.Boolean(True))
            # A device that sends a notification as soon as its CCCD is written: the Value signal leaves before the reply.
            first = self.device.spec.get("notifyOnStart", {}).get(self.uuid)
            if first is not None:
                self.update(bytes.fromhex(first))
            return None
        self.gatt("StartNotify", reply, fail, start)

    @dbus.service.method(CHRC, in_signature="", out_signature="", sender_keyword="sender", async_callbacks=("reply", "fail"))
    def StopNotify(self, reply, fail, sender=None):
        def stop():
            if sender not in self.clients:
                raise error("Failed", "No notify session started")
            self.clients.discard(sender)
            if not self.clients:
                self.set(CHRC, "Notifying", dbus.Boolean(False))
            return None
        self.gatt("StopNotify", reply, fail, stop)


class Service(Props):
    def __init__(self, device, index, uuid):
        super().__init__(device.fake.bus, "%s/service%04x" % (device.path, index))
        self.props[SERVICE] = {
            "UUID": uuid, "Device": dbus.ObjectPath(device.path), "Primary": dbus.Boolean(True),
            "Handle": dbus.UInt16(index), "Includes": dbus.Array([], signature="o"),
        }


def encode_cts(when):
    return bytes([when.year & 0xFF, when.year >> 8, when.month, when.day, when.hour, when.minute, when.second,
                  when.isoweekday(), int(when.microsecond * 256 / 1_000_000), 0])


# What a CTS server does with a Current Time it cannot take: BlueZ reports the ATT error as Failed with its code
# (0x80, "Data field ignored", is the CTS application error).
def cts_refused(why):
    return error("Failed", "Operation failed with ATT error: 0x80 (%s)" % why)


def decode_cts(data):
    """A written Current Time, checked field by field: Exact Time 256 (date, time, day of week, fractions) and adjust reason."""
    if len(data) != 10:
        raise error("InvalidValueLength", "Invalid Value Length")
    year = data[0] | data[1] << 8
    try:
        when = datetime.datetime(year, data[2], data[3], data[4], data[5], data[6],
                                 int(data[8] * 1_000_000 / 256), tzinfo=datetime.timezone.utc)
    except ValueError as e:
        raise cts_refused("date/time: %s" % e)
    # Day of week: 1 = Monday .. 7 = Sunday, 0 = unknown; a known one must be the date's.
    if data[7] not in (0, when.isoweekday()):
        raise cts_refused("day of week %d, but %s is a %d" % (data[7], when.date(), when.isoweekday()))
    # Adjust reason: bit 0 manual update, 1 external reference, 2 time zone change, 3 DST change; 4-7 reserved.
    if data[9] & 0xF0:
        raise cts_refused("reserved adjust reason bits in 0x%02x" % data[9])
    return when


class Device(Props):
    def __init__(self, fake, spec):
        address = spec["address"].upper()
        super().__init__(fake.bus, "%s/dev_%s" % (ADAPTER_PATH, address.replace(":", "_")))
        self.fake = fake
        self.spec = spec
        self.address = address
        self.profile = spec.get("profile", "sensor")
        self.busy = 0
        self.latency_ms = int(spec.get("latencyMs", 0))
        self.connect_delay_ms = int(spec.get("connectDelayMs", 10))
        self.resolve_delay_ms = int(spec.get("resolveDelayMs", 30))
        self.never_resolve = bool(spec.get("neverResolve", False))
        self.fail_connects = int(spec.get("failConnects", 0))
        self.active = 0
        self.max_active = 0
        self.writes = []
        self.connecting = False
        self.gatt_objects = []
        self.clock_offset = datetime.timedelta(milliseconds=int(spec.get("clockOffsetMs", 0)))
        self.clock_writes = []
        self.config = DEFAULT_CONFIG
        self.counter = 0
        props = {
            "Address": address, "AddressType": spec.get("addressType", "public"),
            "Alias": spec.get("name", address.replace(":", "-")), "Adapter": dbus.ObjectPath(ADAPTER_PATH),
            "Paired": dbus.Boolean(False), "Trusted": dbus.Boolean(False), "Blocked": dbus.Boolean(False),
            "LegacyPairing": dbus.Boolean(False), "Connected": dbus.Boolean(False), "ServicesResolved": dbus.Boolean(False),
            "UUIDs": dbus.Array(spec.get("uuids", []), signature="s"),
        }
        if "name" in spec:
            props["Name"] = spec["name"]
        if "rssi" in spec:
            props["RSSI"] = dbus.Int16(spec["rssi"])
        if "manufacturerData" in spec:
            props["ManufacturerData"] = dbus.Dictionary(
                {dbus.UInt16(int(k, 0)): dbus.Array([dbus.Byte(b) for b in bytes.fromhex(v)], signature="y", variant_level=1)
                 for k, v in spec["manufacturerData"].items()}, signature="qv")
        if "serviceData" in spec:
            props["ServiceData"] = dbus.Dictionary(
                {k: dbus.Array([dbus.Byte(b) for b in bytes.fromhex(v)], signature="y", variant_level=1)
                 for k, v in spec["serviceData"].items()}, signature="sv")
        self.props[DEVICE] = props

    @property
    def connected(self):
        return bool(self.props[DEVICE]["Connected"])

    def build_gatt(self):
        """The GATT database BlueZ would export after service discovery."""
        objects = []
        handle = [0x0009]

        def service(uuid):
            handle[0] += 1
            s = Service(self, handle[0], uuid)
            objects.append(s)
            return s

        def chrc(s, uuid, flags, **kw):
            handle[0] += 1
            c = Characteristic(self, s, handle[0], uuid, flags, **kw)
            objects.append(c)
            return c

        info = service(sig(0x180A))
        chrc(info, sig(0x2A29), ["read"], value=b"MqttIoT Labs")
        chrc(info, sig(0x2A24), ["read"], value=self.profile.encode())
        battery = service(sig(0x180F))
        chrc(battery, sig(0x2A19), ["read", "notify"], value=bytes([100]))
        custom = service(CUSTOM_SERVICE)
        chrc(custom, sig(0x2A6E), ["read", "notify"], value=(2137).to_bytes(2, "little", signed=True))
        chrc(custom, CONFIG_UUID, ["read", "write", "write-without-response"],
             read=lambda: self.config, write=self.write_config)
        chrc(custom, COUNTER_UUID, ["read", "notify"], read=lambda: self.counter.to_bytes(4, "little"))
        if self.profile == "sensor":
            chrc(custom, RESET_UUID, ["write"], write=self.reset)
            cts = service(sig(0x1805))
            chrc(cts, sig(0x2A2B), ["read", "write", "notify"], read=self.read_clock, write=self.write_clock)
        return objects

    def write_config(self, data):
        if len(data) > 64:
            raise error("InvalidValueLength", "Invalid Value Length")
        self.config = data

    def reset(self, data):
        if data != b"\x01":
            raise error("Failed", "0x80")
        self.config = DEFAULT_CONFIG
        self.counter = 0

    def read_clock(self):
        return encode_cts(datetime.datetime.now(datetime.timezone.utc) + self.clock_offset)

    def write_clock(self, data):
        self.clock_offset = decode_cts(data) - datetime.datetime.now(datetime.timezone.utc)
        self.clock_writes.append(data.hex())

    @dbus.service.method(DEVICE, in_signature="", out_signature="", async_callbacks=("reply", "fail"))
    def Connect(self, reply, fail):
        self.fake.calls.append("Connect:" + self.address)
        if not self.fake.adapter.powered:
            fail(error("NotReady", "Resource Not Ready"))
            return
        if self.connected:
            reply()
            return
        if self.connecting:
            fail(error("InProgress", "In Progress"))
            return
        if self.fail_connects > 0:
            self.fail_connects -= 1
            fail(error("Failed", "le-connection-abort-by-local"))
            return
        self.connecting = True

        def connected():
            self.connecting = False
            self.set(DEVICE, "Connected", dbus.Boolean(True))
            # BlueZ answers Connect once the link is up; service discovery goes on and ends with ServicesResolved.
            reply()
            if not self.never_resolve:
                GLib.timeout_add(self.resolve_delay_ms, resolved)
            return False

        def resolved():
            if not self.connected:
                return False
            self.gatt_objects = self.build_gatt()
            for o in self.gatt_objects:
                self.fake.root.add(o)
            self.set(DEVICE, "ServicesResolved", dbus.Boolean(True))
            return False

        GLib.timeout_add(self.connect_delay_ms, connected)

    @dbus.service.method(DEVICE, in_signature="", out_signature="")
    def Disconnect(self):
        self.fake.calls.append("Disconnect:" + self.address)
        if not self.connected:
            raise error("NotConnected", "Not Connected")
        self.disconnect("local")

    def disconnect(self, reason):
        if self.props[DEVICE]["ServicesResolved"]:
            self.set(DEVICE, "ServicesResolved", dbus.Boolean(False))
        # An unbonded device's GATT database goes with the link.
        for o in reversed(self.gatt_objects):
            self.fake.root.remove(o)
        self.gatt_objects = []
        self.set(DEVICE, "Connected", dbus.Boolean(False))

    def characteristic(self, uuid):
        return next((o for o in self.gatt_objects if isinstance(o, Characteristic) and o.uuid == uuid.lower()), None)

    def state(self):
        return {
            "connected": self.connected, "servicesResolved": bool(self.props[DEVICE]["ServicesResolved"]),
            "maxConcurrentGatt": self.max_active, "writes": self.writes, "config": self.config.hex(),
            "clockOffsetMs": self.clock_offset / datetime.timedelta(milliseconds=1), "clockWrites": self.clock_writes,
            "notifying": sorted(o.uuid for o in self.gatt_objects if isinstance(o, Characteristic) and o.clients),
        }


class Fake(dbus.service.Object):
    """The control surface the tests drive; not part of BlueZ."""

    def __init__(self, bus):
        self.bus = bus
        self.calls = []
        self.advertisers = []
        self.devices = {}
        super().__init__(bus, "/org/mqttiot/fake")
        self.root = Root(bus)
        self.adapter = Adapter(self)
        self.root.add(self.adapter)

    @staticmethod
    def plain(value):
        if isinstance(value, (dbus.Array, list)):
            return [Fake.plain(v) for v in value]
        if isinstance(value, dbus.Boolean):
            return bool(value)
        if isinstance(value, (dbus.Int16, dbus.UInt16, dbus.Int32, dbus.UInt32, dbus.Int64, dbus.UInt64, dbus.Byte)):
            return int(value)
        return str(value)

    def appear(self, spec):
        address = spec["address"].upper()
        if address in self.devices:
            device = self.devices[address]
            if "rssi" in spec:
                device.set(DEVICE, "RSSI", dbus.Int16(spec["rssi"]))
            return device
        device = Device(self, spec)
        self.devices[address] = device
        self.root.add(device)
        return device

    def vanish(self, device):
        if device.connected:
            device.disconnect("removed")
        self.devices.pop(device.address, None)
        self.root.remove(device)

    def device(self, address):
        device = self.devices.get(address.upper())
        if device is None:
            raise dbus.exceptions.DBusException("no device " + address, name="org.mqttiot.Error.NoDevice")
        return device

    @dbus.service.method(CONTROL, in_signature="s", out_signature="")
    def AddAdvertiser(self, spec):
        """A device that advertises: it appears (InterfacesAdded) delayMs after discovery starts."""
        spec = json.loads(spec)
        self.advertisers.append(spec)
        if self.adapter.props[ADAPTER]["Discovering"]:
            self.adapter.pending.append(GLib.timeout_add(int(spec.get("delayMs", 20)), self.adapter.advertise, spec))

    @dbus.service.method(CONTROL, in_signature="s", out_signature="")
    def AddDevice(self, spec):
        """A device BlueZ already knows (cached or paired): exported at once."""
        self.appear(json.loads(spec))

    @dbus.service.method(CONTROL, in_signature="s", out_signature="")
    def RemoveDevice(self, address):
        self.vanish(self.device(address))

    @dbus.service.method(CONTROL, in_signature="s", out_signature="")
    def Drop(self, address):
        """The device drops the link (out of range, battery pulled)."""
        self.device(address).disconnect("remote")

    @dbus.service.method(CONTROL, in_signature="si", out_signature="")
    def FailConnects(self, address, count):
        """The next count Connect calls on the device fail (le-connection-abort-by-local)."""
        self.device(address).fail_connects = count

    @dbus.service.method(CONTROL, in_signature="sss", out_signature="")
    def Notify(self, address, uuid, value_hex):
        device = self.device(address)
        characteristic = device.characteristic(uuid)
        if characteristic is None:
            raise dbus.exceptions.DBusException("no characteristic " + uuid, name="org.mqttiot.Error.NoCharacteristic")
        characteristic.notify(bytes.fromhex(value_hex))

    @dbus.service.method(CONTROL, in_signature="si", out_signature="")
    def SetBusy(self, address, count):
        """The next count GATT calls on the device fail with org.bluez.Error.InProgress."""
        self.device(address).busy = count

    @dbus.service.method(CONTROL, in_signature="sss", out_signature="")
    def FailNext(self, address, uuid, errors):
        """The next GATT calls on the characteristic fail, one per error: JSON [[name, message], ...]; a name without
        dots is under org.bluez.Error (NotConnected, InProgress, Failed...)."""
        characteristic = self.device(address).characteristic(uuid)
        if characteristic is None:
            raise dbus.exceptions.DBusException("no characteristic " + uuid, name="org.mqttiot.Error.NoCharacteristic")
        characteristic.fail_next.extend((str(n), str(m)) for n, m in json.loads(errors))

    @dbus.service.method(CONTROL, in_signature="si", out_signature="")
    def SetLatency(self, address, ms):
        self.device(address).latency_ms = ms

    @dbus.service.method(CONTROL, in_signature="s", out_signature="s")
    def DeviceState(self, address):
        return json.dumps(self.device(address).state())

    @dbus.service.method(CONTROL, in_signature="", out_signature="s")
    def DiscoveryFilter(self):
        return json.dumps(self.adapter.last_filter)

    @dbus.service.method(CONTROL, in_signature="", out_signature="s")
    def Calls(self):
        return json.dumps(self.calls)

    @dbus.service.method(CONTROL, in_signature="", out_signature="")
    def PowerOff(self):
        """Someone else (rfkill, bluetoothctl) powers the adapter off."""
        self.adapter.on_set(ADAPTER, "Powered", dbus.Boolean(False))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--address", required=True, help="D-Bus address of the private bus")
    args = parser.parse_args()
    dbus.mainloop.glib.DBusGMainLoop(set_as_default=True)
    bus = dbus.bus.BusConnection(args.address)
    loop = GLib.MainLoop()
    bus.call_on_disconnection(lambda _: loop.quit())
    Fake(bus)
    name = dbus.service.BusName(BLUEZ, bus, do_not_queue=True)
    GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, signal.SIGTERM, loop.quit)
    print("ready", flush=True)
    loop.run()
    del name


if __name__ == "__main__":
    sys.exit(main())
