namespace MqttIoT.OpcUa.Binary;

/// <summary>Text for people, with its locale.</summary>
/// <param name="Locale">The locale, e.g. <c>en-US</c>, when given.</param>
/// <param name="Text">The text.</param>
public readonly record struct LocalizedText(string? Locale, string? Text)
{
    /// <inheritdoc />
    public override string ToString() => Text ?? "";
}
