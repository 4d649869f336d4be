using MqttIoT.OpcUa.Binary;

namespace MqttIoT.Gateway.Backends.OpcUa;

/// <summary>A key of an OPC UA device: one variable of its object, found by browsing, typed by one Read.</summary>
/// <param name="Key">The browse name.</param>
/// <param name="NodeId">The variable.</param>
/// <param name="Type">The built-in type its values have.</param>
/// <param name="Scalar">Whether its value rank is scalar (-1); arrays travel as whole Variants.</param>
/// <param name="DataTypeId">The DataType attribute, as the server says.</param>
internal sealed record OpcUaVariable(string Key, NodeId NodeId, BuiltInType Type, bool Scalar, NodeId DataTypeId)
{
    public string WireType => OpcUaValueCodec.WireType(Type, Scalar);

    /// <summary>The bytes of a value read from it or notified, in its wire type (see <see cref="OpcUaValueCodec.Encode"/>).</summary>
    public byte[] Encode(MqttIoT.OpcUa.Binary.Variant value, out string dataType) => OpcUaValueCodec.Encode(value, Type, Scalar, out dataType);
}
