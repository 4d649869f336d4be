using Microsoft.Extensions.Options;

namespace MqttIoT.Broker;

/// <summary>The <c>[Range]</c> checks of <see cref="BrokerOptions"/>, source-generated.</summary>
[OptionsValidator]
internal sealed partial class BrokerOptionsValidator : IValidateOptions<BrokerOptions>;
