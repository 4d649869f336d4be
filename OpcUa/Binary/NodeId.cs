using System.Globalization;

namespace MqttIoT.OpcUa.Binary;

/// <summary>
/// An OPC UA NodeId: a namespace index and an identifier. The text form is the one of OPC 10000-6 §5.3.1.10
/// (<c>i=85</c>, <c>ns=1;s=Boiler1</c>, <c>ns=2;g=...</c>, <c>ns=2;b=base64</c>), which is also how the gateway names nodes.
/// </summary>
public sealed class NodeId : IEquatable<NodeId>
{
    /// <summary>The null NodeId (<c>i=0</c>).</summary>
    public static readonly NodeId Null = new(0u);

    /// <summary>A numeric NodeId.</summary>
    public NodeId(uint identifier, ushort namespaceIndex = 0)
    {
        NamespaceIndex = namespaceIndex;
        IdType = NodeIdType.Numeric;
        Identifier = identifier;
    }

    /// <summary>A string NodeId.</summary>
    public NodeId(string identifier, ushort namespaceIndex)
    {
        ArgumentNullException.ThrowIfNull(identifier);
        NamespaceIndex = namespaceIndex;
        IdType = NodeIdType.String;
        Identifier = identifier;
    }

    /// <summary>A Guid NodeId.</summary>
    public NodeId(Guid identifier, ushort namespaceIndex)
    {
        NamespaceIndex = namespaceIndex;
        IdType = NodeIdType.Guid;
        Identifier = identifier;
    }

    /// <summary>An opaque NodeId.</summary>
    public NodeId(byte[] identifier, ushort namespaceIndex)
    {
        ArgumentNullException.ThrowIfNull(identifier);
        NamespaceIndex = namespaceIndex;
        IdType = NodeIdType.Opaque;
        Identifier = identifier.ToArray();
    }

    /// <summary>The namespace index.</summary>
    public ushort NamespaceIndex { get; }

    /// <summary>The kind of identifier.</summary>
    public NodeIdType IdType { get; }

    /// <summary>The identifier: a <see cref="uint"/>, <see cref="string"/>, <see cref="System.Guid"/> or <see cref="byte"/> array.</summary>
    public object Identifier { get; }

    /// <summary>Whether this is the null NodeId.</summary>
    public bool IsNull => IdType switch
    {
        NodeIdType.Numeric => NamespaceIndex == 0 && (uint)Identifier == 0,
        NodeIdType.String => NamespaceIndex == 0 && ((string)Identifier).Length == 0,
        NodeIdType.Guid => NamespaceIndex == 0 && (Guid)Identifier == Guid.Empty,
        _ => NamespaceIndex == 0 && ((byte[])Identifier).Length == 0,
    };

    /// <summary>Parses the text form; throws <see cref="FormatException"/> when it is not one.</summary>
    public static NodeId Parse(string text) =>
        TryParse(text, out var id) ? id : throw new FormatException($"'{text}' is not a NodeId (expected e.g. 'i=85' or 'ns=1;s=Boiler1')");

    /// <summary>Parses the text form.</summary>
    public static bool TryParse(string? text, out NodeId id)
    {
        id = Null;
        if (string.IsNullOrEmpty(text)) return false;
        ushort ns = 0;
        var rest = text.AsSpan();
        if (rest.StartsWith("ns="))
        {
            int semi = rest.IndexOf(';');
            if (semi < 0 || !ushort.TryParse(rest[3..semi], NumberStyles.None, CultureInfo.InvariantCulture, out ns)) return false;
            rest = rest[(semi + 1)..];
        }
        if (rest.Length < 2 || rest[1] != '=') return false;
        var value = rest[2..];
        switch (rest[0])
        {
            case 'i':
                if (!uint.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var n)) return false;
                id = new NodeId(n, ns);
                return true;
            case 's':
                id = new NodeId(value.ToString(), ns);
                return true;
            case 'g':
                if (!System.Guid.TryParse(value, out var g)) return false;
                id = new NodeId(g, ns);
                return true;
            case 'b':
                try { id = new NodeId(Convert.FromBase64String(value.ToString()), ns); return true; }
                catch (FormatException) { return false; }
            default:
                return false;
        }
    }

    /// <inheritdoc />
    public override string ToString()
    {
        var prefix = NamespaceIndex == 0 ? "" : $"ns={NamespaceIndex.ToString(CultureInfo.InvariantCulture)};";
        return IdType switch
        {
            NodeIdType.Numeric => $"{prefix}i={((uint)Identifier).ToString(CultureInfo.InvariantCulture)}",
            NodeIdType.String => $"{prefix}s={Identifier}",
            NodeIdType.Guid => $"{prefix}g={(Guid)Identifier:D}",
            _ => $"{prefix}b={Convert.ToBase64String((byte[])Identifier)}",
        };
    }

    /// <inheritdoc />
    public bool Equals(NodeId? other)
    {
        if (other is null || other.NamespaceIndex != NamespaceIndex || other.IdType != IdType) return false;
        return IdType == NodeIdType.Opaque
            ? ((byte[])Identifier).AsSpan().SequenceEqual((byte[])other.Identifier)
            : Identifier.Equals(other.Identifier);
    }

    /// <inheritdoc />
    public override bool Equals(object? obj) => Equals(obj as NodeId);

    /// <inheritdoc />
    public override int GetHashCode() => IdType == NodeIdType.Opaque
        ? HashCode.Combine(NamespaceIndex, Convert.ToBase64String((byte[])Identifier))
        : HashCode.Combine(NamespaceIndex, Identifier);

    /// <summary>Equality by value.</summary>
    public static bool operator ==(NodeId? left, NodeId? right) => left?.Equals(right) ?? right is null;

    /// <summary>Inequality by value.</summary>
    public static bool operator !=(NodeId? left, NodeId? right) => !(left == right);

    /// <summary>A numeric NodeId in namespace 0.</summary>
    public static implicit operator NodeId(uint identifier) => new(identifier);
}
