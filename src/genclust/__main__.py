from genclust.cli import main

main()
