using System.Globalization;

namespace MqttIoT.OpcUa.Binary;

/// <summary>An OPC UA status code: severity in the top two bits, sub-code in the rest of the upper half.</summary>
/// <param name="Code">The 32-bit code.</param>
public readonly record struct StatusCode(uint Code)
{
    /// <summary>Good.</summary>
    public static readonly StatusCode Good = new(0);

    /// <summary>Severity Good.</summary>
    public bool IsGood => (Code & 0xC0000000) == 0;

    /// <summary>Severity Bad.</summary>
    public bool IsBad => (Code & 0x80000000) != 0;

    /// <summary>Severity Uncertain.</summary>
    public bool IsUncertain => (Code & 0xC0000000) == 0x40000000;

    /// <summary>The symbolic name (<c>BadNodeIdUnknown</c>), or the code in hex when unnamed here.</summary>
    public string Name => StatusCodes.TryLookup(Code, out var name, out _) ? name : $"0x{Code.ToString("X8", CultureInfo.InvariantCulture)}";

    /// <summary>The name and the spec's sentence for it, for error messages.</summary>
    public string Describe() => StatusCodes.TryLookup(Code, out var name, out var description)
        ? $"{name} (0x{Code.ToString("X8", CultureInfo.InvariantCulture)}): {description}"
        : $"0x{Code.ToString("X8", CultureInfo.InvariantCulture)}";

    /// <inheritdoc />
    public override string ToString() => Name;

    /// <summary>The code as a status.</summary>
    public static implicit operator StatusCode(uint code) => new(code);
}
