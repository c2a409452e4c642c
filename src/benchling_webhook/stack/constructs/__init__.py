"""CDK constructs of the stack; importing this package imports aws_cdk (node starts)."""
