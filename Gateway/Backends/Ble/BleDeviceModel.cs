namespace MqttIoT.Gateway.Backends.Ble;

/// <summary>
/// What the station knows about a kind of peripheral beyond GATT: how to recognise it and which characteristic
/// resets it. A device matches the first model whose name prefix or manufacturer id it shows.
/// </summary>
public sealed class BleDeviceModel
{
    /// <summary>The model's name, shown in the device's props.</summary>
    public required string Name { get; init; }
    /// <summary>Devices whose advertised name starts with this are of the model.</summary>
    public string? NamePrefix { get; init; }
    /// <summary>Devices advertising manufacturer data under this company id are of the model.</summary>
    public ushort? ManufacturerId { get; init; }
    /// <summary>The characteristic RESET writes (16-bit or 128-bit UUID); null when the model cannot be reset.</summary>
    public string? ResetCharacteristic { get; init; }
    // set, not init: System.Text.Json's source generator sets every init property, to default when the file omits it.
    /// <summary>The bytes RESET writes there.</summary>
    public IReadOnlyList<byte> ResetValue { get; set; } = [0x01];

    /// <summary>Throws when the model cannot work.</summary>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(Name)) throw new ArgumentException("a model needs a name");
        if (string.IsNullOrEmpty(NamePrefix) && ManufacturerId is null)
            throw new ArgumentException($"model '{Name}' matches no device: give it a namePrefix or a manufacturerId");
        if (ResetCharacteristic is { } uuid && !GattNames.TryParseUuid(uuid, out _))
            throw new ArgumentException($"model '{Name}': '{uuid}' is not a UUID (16-bit like 2a2b, or 128-bit)");
        if (ResetCharacteristic is not null && ResetValue.Count == 0) throw new ArgumentException($"model '{Name}': the reset value is empty");
    }

    internal bool Matches(string? name, IEnumerable<ushort> manufacturerIds) =>
        (NamePrefix is not null && name is not null && name.StartsWith(NamePrefix, StringComparison.Ordinal))
        || (ManufacturerId is { } id && manufacturerIds.Contains(id));
}
