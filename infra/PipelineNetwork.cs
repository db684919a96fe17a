using Amazon.CDK.AWS.EC2;
using Amazon.CDK.AWS.Logs;
using Constructs;

namespace KpiPipeline.Infra;

/// <summary>
/// Where the Fargate tasks run. Two public subnets and no NAT gateway: a NAT costs ~$33/month per AZ
/// before any traffic, for tasks that run minutes a day. The tasks get public IPs (the state machine
/// passes AssignPublicIp=ENABLED) and a security group with no inbound rule at all.
/// </summary>
public sealed class PipelineNetwork : Construct
{
    public PipelineNetwork(Construct scope, string id, RetentionDays logRetention)
        : base(scope, id)
    {
        Vpc = new Vpc(this, "Vpc", new VpcProps
        {
            MaxAzs = 2,
            NatGateways = 0,
            SubnetConfiguration = [new SubnetConfiguration { Name = "public", SubnetType = SubnetType.PUBLIC, CidrMask = 24 }],
            RestrictDefaultSecurityGroup = true,
        });

        // Every accepted and rejected connection, for investigating what the tasks talked to.
        FlowLogs = new LogGroup(this, "FlowLogs", new LogGroupProps { Retention = logRetention });
        Vpc.AddFlowLog("FlowLog", new FlowLogOptions
        {
            Destination = FlowLogDestination.ToCloudWatchLogs(FlowLogs),
            TrafficType = FlowLogTrafficType.ALL,
        });

        // Gateway endpoints are free and keep lake and table traffic off the internet path.
        Vpc.AddGatewayEndpoint("S3", new GatewayVpcEndpointOptions { Service = GatewayVpcEndpointAwsService.S3 });
        Vpc.AddGatewayEndpoint("DynamoDb", new GatewayVpcEndpointOptions { Service = GatewayVpcEndpointAwsService.DYNAMODB });

        TaskSecurityGroup = new SecurityGroup(this, "TaskSecurityGroup", new SecurityGroupProps
        {
            Vpc = Vpc,
            Description = "KPI pipeline tasks: no inbound; outbound HTTPS to AWS APIs and ECR only",
            AllowAllOutbound = false,
        });
        TaskSecurityGroup.AddEgressRule(Peer.AnyIpv4(), Port.Tcp(443), "HTTPS to AWS service endpoints");
    }

    public IVpc Vpc { get; }

    public ILogGroup FlowLogs { get; }

    public ISecurityGroup TaskSecurityGroup { get; }

    /// <summary>The two subnets the definition's ${SubnetA} and ${SubnetB} stand for.</summary>
    public (ISubnet A, ISubnet B) TaskSubnets => (Vpc.PublicSubnets[0], Vpc.PublicSubnets[1]);
}
